pytest_plugins = ["tests.support.fixtures", "tests.support.btrfs", "tests.support.seed"]
