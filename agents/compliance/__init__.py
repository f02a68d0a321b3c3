"""The compliance engine: deterministic checks over structured plan data and geometry. Every
finding names the rule and the clause it enforces and points at the plan's own page, table and
row. The model never decides a numeric or spatial verdict; it only explains findings."""
