def test_healthz_reports_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] is True


def test_security_headers_on_pages(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response  # only behind TLS


def test_hsts_behind_tls_proxy(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_login_form_carries_csrf_token(client, db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login/", {"username": "x", "password": "y"}).status_code == 403
    assert "csrfmiddlewaretoken" in client.get("/login/").content.decode()


def test_pages_reference_only_local_assets(client, officer_a):
    client.force_login(officer_a, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get("/").content.decode()
    assert "http://" not in html.replace("http://127.0.0.1", "") and "https://" not in html
    assert "/static/bootstrap/css/bootstrap.min.css" in html


def test_chart_library_is_served_locally(client, db):
    from django.contrib.staticfiles import finders

    assert finders.find("echarts/echarts.min.js"), "run scripts/bootstrap.sh (npm ci) to install ECharts"
