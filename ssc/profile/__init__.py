"""Profiles: the SSC of PROFILE.md as data (one YAML file per generation) plus a strict loader."""

from ssc.profile.loader import ProfileError, builtin_profiles, load_profile
from ssc.profile.model import FileDef, KeyDef, Profile, RecordDef

__all__ = ["FileDef", "KeyDef", "Profile", "ProfileError", "RecordDef", "builtin_profiles", "load_profile"]
