-- CUPS printing. cups.service starts the scheduler at boot (cups.socket would start it on
-- first use instead: set service_name = "cups.socket" for that).
return {
  package = "cups",
  unit = "cups.service",
}
