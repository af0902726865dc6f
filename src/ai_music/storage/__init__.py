"""Where audio lives: a local folder (the default) or an S3-compatible bucket, behind one small
interface (base.AudioStore), chosen by ``AI_MUSIC_AUDIO_STORE``; and the signed, header-less
media links that play it (media.py)."""
