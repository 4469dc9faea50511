"""HTML reports for HR: one page per topic, charts beside their numbers, small groups hidden."""
