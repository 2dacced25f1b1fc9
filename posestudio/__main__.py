from posestudio.cli import main

raise SystemExit(main())
