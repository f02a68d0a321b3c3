"""Planning implementation assessment (体检评估): indicators computed from survey layers, zone
layers and statistics, compared with plan targets, and written up as a report."""
