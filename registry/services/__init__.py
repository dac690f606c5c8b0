"""Writes and decisions: plain keyword-only functions named <entity>_<verb>; views, admin and tasks call them."""
