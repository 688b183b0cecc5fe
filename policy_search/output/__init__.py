"""What leaves the tool: export writers (CSV, Excel, JSON) and saved query files."""
