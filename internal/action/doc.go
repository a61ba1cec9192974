// Package action is the front end of pack-publish: it reads the
// configuration, masks secrets before anything is printed, runs the pipeline
// and renders its one Result for GitHub Actions (workflow commands, outputs,
// step summary, annotations), GitLab CI (a dotenv file) or a terminal (a
// table). It is the only package that imports go-githubactions.
package action
