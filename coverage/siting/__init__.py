"""siting stage."""
