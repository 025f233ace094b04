-- COSMIC: the cosmic package group, shown by its own greeter.
return {
  group = "cosmic",
  display_manager = "cosmic-greeter",
}
