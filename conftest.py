"""Every test here gets the frameharness plugin's fixtures (pytest.ini puts harness/ on sys.path);
pytester runs the plugin's own tests."""

pytest_plugins = ["frameharness.plugin", "pytester"]
