"""Video generators: a scene's visual request -> a real MP4 clip that passes the quality gate."""
