"""The build: read, validate, compose the record, describe (VoID), load, export, back up."""
