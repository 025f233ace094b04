-- Scanners. Nothing to enable: scanning programs load the SANE backends themselves
-- (saned is only for sharing a scanner over the network). Users scan through the scanner
-- group, which Arch's filesystem package creates.
return {
  package = "sane",
}
