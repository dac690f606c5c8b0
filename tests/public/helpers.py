"""Reading the public register's answers as a visitor would."""

from tests.portal.page import Page

# A firm name that a spreadsheet would run as a formula; the public world has a firm of that name.
FORMULA_NAME = '=HYPERLINK("http://evil.example","Click")'


def body(response) -> str:
    """The answer's text; only a page that was served counts (a 404 or redirect also "contains nothing private")."""
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8")


def register_rows(response) -> list[list[str]]:
    """The register table's rows (licensed or warnings page) as the cells' texts; [] when the page has no table."""
    assert response.status_code == 200
    table = Page(response).root.find("table", cls="register")
    return (
        []
        if table is None
        else [
            [cell.text for cell in tr.children if not isinstance(cell, str)]
            for tr in table.find("tbody").find_all("tr")
        ]
    )
