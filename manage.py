#!/usr/bin/env python
from khabar.manage import main

if __name__ == "__main__":
    main()
