"""Static data of the demo district: geography, industries, names, pollutant profiles, the
enforcement-item catalogue and the bureau's organisation. Plain Python, no Django imports."""
