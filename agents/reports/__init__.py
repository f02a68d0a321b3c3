"""What every generated report shares: HTML rendered to PDF with a built-in CJK font, and maps
drawn as SVG straight from geometry."""
