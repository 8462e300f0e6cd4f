"""Channels: Redis layer when REDIS_URL is set (several processes), in-memory otherwise."""

from __future__ import annotations

from .env import env_str

_REDIS_URL = env_str("REDIS_URL", "")

if _REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that
                # channels-redis blocks in BZPOPMIN while a socket is idle: the read times out
                # and the consumer dies after a few quiet seconds. Give reads more room.
                "hosts": [{"address": _REDIS_URL, "socket_timeout": 30}],
                "prefix": env_str("CHANNELS_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
