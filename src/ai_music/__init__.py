"""ai-music-backend."""
