"""Replies and page changes of a hostile or blocking site, for `modes` and for ``script()``.

Each builder returns what one request gets, so a test can script any of them on one URL:
``site.script(url, waf_challenge())``.
"""

from __future__ import annotations

import functools
import zlib

from kompas_crawler.offline.server import HTML, Reply

# An AWS WAF challenge as kompas.com hosts answered in 2026 (KOMPAS_SITE.md, "Blocking"): a
# JavaScript page that sets a token cookie and reloads. No article, no listing, no link.
WAF_CHALLENGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title></title>
    <style>
        body { font-family: "Arial"; }
    </style>
    <script type="text/javascript">
    window.awsWafCookieDomainList = ['.kompas.com'];
    window.gokuProps = {
"key":"AQIDAHjcYu/GjX+QlghicBgQ/7bFaQZ+m5FKCMDnO+vTbNg96AFm8b1ezA0t4hEGS6B2cNsxAAAAfjB8Bgkqhkig9w0BBwagbzBtAgEAMGgGCSqGSIb3DQEHATAeBglghkgBZQMEAS4wEQQMxT+kzlGCV9Crz/GnAgEQgDswY+XjUwR3u8vDkVd0y6lZ2nEkO2dkWm0lA9ZtUJp0TCxfQ6v/oGY0z35hf1OgF1Qn8lvAvRx5rV0sYA==",
          "iv":"D549rwG4WwAAADQC",
          "context":"6xqcHl0a5YSIWxdMyBL5QCmWYq1pvcn4L2T/TP9oztaxx20sGh9Q+WUHCVZyFVa5LnwN0lyoNZ3XNr1lC8xRsHHFbUzz1ErAKyX1CIvzCGNbYWMyw4PwvN4kJ81ae4FJMhrXsdCC1RkP7AoQGAmHUMB1xKyGIp6YWq8v/9lrWbaKTYQ0ctLcgDFJzrr/Nf40XWMBGd8fVSSpMzO3CUJ/RcBOBuGj+Sbnr2GQPtJuNAYUvTgBVvyCnEjESZ3X8H1Lx+xzrnYqE/XxcZGOzrSyrC2K3RxhVyh3W2QkNY1b+2ieqkk8kvMxYm42PsGlN/RbdRn7NZjkbJjBTAW8yUnS6J0Mh6UFzKmzp4UMVPi4FuN6Ks5Y/PTnlpDy6w="
};
    </script>
    <script src="https://3d4ea9b3c2f1.edge.sdk.awswaf.com/3d4ea9b3c2f1/9f4b7c1d2e3a/challenge.js"></script>
</head>
<body>
    <div id="challenge-container"></div>
    <script type="text/javascript">
        AwsWafIntegration.saveReferrer();
        AwsWafIntegration.checkForceRefresh().then((forceRefresh) => {
            if (forceRefresh) {
                AwsWafIntegration.forceRefreshToken().then(() => {
                    window.location.reload(true);
                });
            } else {
                AwsWafIntegration.getToken().then(() => {
                    window.location.reload(true);
                });
            }
        });
    </script>
    <noscript>
        <h1>JavaScript is disabled</h1>
        In order to continue, we need to verify that you're not a robot.
        This requires JavaScript. Enable JavaScript and then reload the page.
    </noscript>
</body>
</html>
"""

# The hostile markup of `bad_links`: a link no URL parser accepts, a <base> that breaks every
# relative link, and a paging number that is a digit to str.isdigit() but not to int().
BAD_HREF = "http://[zz]/x"
BAD_BASE = '<base href="http://[zz]/">'
BAD_PAGE_NUMBER = "\u00b2"  # SUPERSCRIPT TWO
BOMB_SIZE = 101 * 1024 * 1024  # decompressed bytes: past any sane download size cap


def waf_challenge(status: int = 202) -> Reply:
    """An AWS WAF challenge page (202 as seen live; 403 or 200 for the variants)."""
    return Reply(status=status, body=WAF_CHALLENGE.encode("utf-8"), headers=_waf_headers())


def _waf_headers() -> dict[str, str]:
    return {
        "Content-Type": HTML,
        "x-amzn-waf-action": "challenge",
        "Cache-Control": "no-store, max-age=0",
    }


@functools.cache
def _bomb() -> bytes:
    # Streamed through a compressor a megabyte at a time: the 101 MB are never in memory.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
    chunk = b" " * (1024 * 1024)
    parts = [compressor.compress(b"<!DOCTYPE html><html><body><p>")]
    parts += [compressor.compress(chunk) for _ in range(BOMB_SIZE // len(chunk))]
    parts.append(compressor.compress(b"</p></body></html>") + compressor.flush())
    return b"".join(parts)


def gzip_bomb() -> Reply:
    """A 200 "HTML" page served ``Content-Encoding: gzip``: about 100 KB on the wire, 101 MB
    of whitespace once decompressed."""
    return Reply(body=_bomb(), headers={"Content-Type": HTML, "Content-Encoding": "gzip"})


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location, "Content-Type": HTML})


def too_many_requests(retry_after: str = "99999") -> Reply:
    """429 asking to come back after ``retry_after`` (seconds, or an HTTP date)."""
    return Reply.html(
        "<html><body><h1>429 Too Many Requests</h1></body></html>",
        status=429,
        headers={"Content-Type": HTML, "Retry-After": retry_after},
    )


def with_bad_links(page: str) -> str:
    """``page`` with a ``<base href>`` no parser accepts, and (in its body or list) a link to
    ``http://[zz]/x``, a paging item numbered "²" and a "Baca juga" line linking nowhere valid.
    Every article link and every paragraph's text of the page stays as it was."""
    page = page.replace("<head>", f"<head>\n  {BAD_BASE}", 1)
    bad_item = f'<a class="article-link article__link" href="{BAD_HREF}">Tautan rusak</a>'
    bad_paging = (
        f'<div class="paging__item"><a class="paging__link" href="?page={BAD_PAGE_NUMBER}" '
        f'data-ci-pagination-page="{BAD_PAGE_NUMBER}">{BAD_PAGE_NUMBER}</a></div>'
    )
    bad_related = (
        f'<p><strong>Baca juga: <a class="inner-link-baca-juga" href="{BAD_HREF}">'
        "Tautan rusak</a></strong></p>"
    )
    for opening, extra in (
        ('<div class="articleList">', bad_item),
        ('<div class="latest--indeks mt2 clearfix">', bad_item),
        ('<div class="paging__wrap clearfix">', bad_paging),
        ('<div class="paging__wrap">', bad_paging),
        ('<div class="clearfix">\n      <p>', f'<a href="{BAD_HREF}"></a>'),
        ('<div class="clearfix">\n      ', bad_related),
    ):
        page = page.replace(opening, opening + extra, 1)
    return page
