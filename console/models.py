"""The console keeps no data of its own: it is a front end over the domain's models."""
