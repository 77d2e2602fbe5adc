def test_api_docs_load_only_local_assets(client, officer_a):
    client.force_login(officer_a, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html
    script = client.get("/api/docs/?script=").content.decode()
    assert "SwaggerUIBundle" in script


def test_schema_is_served(client, officer_a):
    client.force_login(officer_a, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/api/schema/")
    assert response.status_code == 200 and b"openapi" in response.content
