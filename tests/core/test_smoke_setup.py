def test_persona_fixtures_create_users_with_roles(officer_a, auditor):
    assert officer_a.role == "officer"
    assert auditor.role == "auditor"
