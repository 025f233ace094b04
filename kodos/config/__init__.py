"""The configuration model: what a configuration.lua may say, validated.

Kept import-light: the CLI reads the default below without loading the model.
"""

DEFAULT_CONFIG_DIR = "/etc/kodos"
