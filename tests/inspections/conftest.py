from tests.planning.fixtures import *  # noqa: F403  (district, annual_plan, plan)
