"""The configuration model: what a configuration.lua may say, validated."""
