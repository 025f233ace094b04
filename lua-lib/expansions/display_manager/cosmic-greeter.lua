-- The cosmic-greeter display manager: its package and the unit that starts it at boot.
return {
  package = "cosmic-greeter",
  unit = "cosmic-greeter.service",
}
