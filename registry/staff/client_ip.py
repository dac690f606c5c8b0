"""The client's address for the login lockout, proof against a forged X-Forwarded-For."""

from django.conf import settings


def client_ip(request) -> str:
    """With N proxies of ours in front, the address the outermost of them saw: the N-th from the right.

    Addresses further left were written by the client itself and can say
    anything; counting from the right takes only what our proxies appended.
    Without proxies (CLIENT_IP_PROXY_COUNT, from AXES_PROXY_COUNT in the
    environment, is 0) the socket's address is the client.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.CLIENT_IP_PROXY_COUNT
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    return hops[-proxies] if len(hops) >= proxies else remote
