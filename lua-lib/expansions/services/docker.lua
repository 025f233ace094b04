-- Docker engine; the package creates the docker group (membership is root-equivalent).
return {
  package = "docker",
  unit = "docker.service",
  groups = { "docker" },
}
