"""``pyfantasy report``'s implementation, one job a module: read (files to rows), summary (groups,
percentiles, filter), table (rows as cells), text (the terminal table), charts and page (the HTML),
options (the values the command's options take, for its parser)."""
