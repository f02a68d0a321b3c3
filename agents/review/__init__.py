"""Plan review: read a submitted plan (PDF/DOCX, optional parcels, zones and 规划条件), extract
its indicator table, 用地平衡表 and metadata, run the compliance engine, and report."""
