"""A generated public set of plans to review, in the case-folder format of the design notes:
plan.pdf or plan.docx, parcels.geojson, zones/*.geojson, conditions.json and gold.json. Layouts
vary (column order and names, units in headings / in a 单位 line / missing, merged two-row
headings, tables continued over pages), and violations are planted in known parcels."""
