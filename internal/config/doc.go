// Package config reads the inputs declared in action.yml from flags,
// INPUT_<NAME> and PACK_PUBLISH_<NAME> variables (in that order, then the
// declared default), validates them all at once and returns one typed Config.
package config
