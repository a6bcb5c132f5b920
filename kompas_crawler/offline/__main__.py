"""``python -m kompas_crawler.offline --port 8800`` serves the demo site (see `demo.main`)."""

from kompas_crawler.offline.demo import main

raise SystemExit(main())
