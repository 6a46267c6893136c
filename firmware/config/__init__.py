"""pbx.toml: the schema, loading with precise errors, and the sample office."""

from firmware.config.errors import ConfigError, Problem
from firmware.config.load import load_config, parse_config
from firmware.config.schema import Config, Extension

__all__ = ["Config", "ConfigError", "Extension", "Problem", "load_config", "parse_config"]
