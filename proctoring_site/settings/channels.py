"""Channels: Redis layer when REDIS_URL is set (several processes), in-memory otherwise."""

from __future__ import annotations

from .env import env_str

_REDIS_URL = env_str("REDIS_URL", "")

if _REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [_REDIS_URL],
                "prefix": env_str("CHANNELS_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
