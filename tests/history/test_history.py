from __future__ import annotations

import httpx

from tests.factories import history_body, signed_in_user


async def test_save_and_get_history_round_trip(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    saved = await api.post(
        "/save-history", json={"username": user.username, **history_body()}, headers=user.headers
    )
    assert saved.status_code == 201
    assert saved.json() == {"message": "Saved to history"}

    response = await api.get(f"/get-history/{user.username}", headers=user.headers)
    assert response.status_code == 200
    [item] = response.json()
    assert {k: item[k] for k in ("prompt", "mood", "instruments", "tempo", "duration")} == {
        "prompt": "Calm music",
        "mood": "Happy",
        "instruments": "piano",
        "tempo": 120,
        "duration": 20,
    }
    assert item["created_at"].endswith("Z")
    assert item["audio_url"] is None


async def test_history_routes_need_a_token(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    assert (await api.post("/save-history", json=history_body())).status_code == 401
    assert (await api.get(f"/get-history/{user.username}")).status_code == 401
    bad = {"Authorization": "Bearer nonsense"}
    assert (await api.get(f"/get-history/{user.username}", headers=bad)).status_code == 401


async def test_nobody_reads_or_writes_another_users_history(api: httpx.AsyncClient) -> None:
    alice = await signed_in_user(api)
    bob = await signed_in_user(api)
    await api.post("/save-history", json=history_body(prompt="alice's"), headers=alice.headers)

    response = await api.get(f"/get-history/{alice.username}", headers=bob.headers)
    assert response.status_code == 403
    response = await api.post(
        "/save-history", json={"username": alice.username, **history_body()}, headers=bob.headers
    )
    assert response.status_code == 403
    alice_items = (await api.get(f"/get-history/{alice.username}", headers=alice.headers)).json()
    assert [item["prompt"] for item in alice_items] == ["alice's"]


async def test_save_history_without_username_records_for_the_token_user(
    api: httpx.AsyncClient,
) -> None:
    user = await signed_in_user(api)
    await api.post("/save-history", json=history_body(prompt="mine"), headers=user.headers)
    items = (await api.get(f"/get-history/{user.username}", headers=user.headers)).json()
    assert [item["prompt"] for item in items] == ["mine"]


async def test_invalid_history_fields_are_400s(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    for body in (
        history_body(tempo="fast"),
        history_body(duration=-3),
        history_body(prompt="p" * 2001),
        history_body(tempo=10**9),
    ):
        response = await api.post("/save-history", json=body, headers=user.headers)
        assert response.status_code == 400, body
        assert response.json()["error"]
    items = (await api.get(f"/get-history/{user.username}", headers=user.headers)).json()
    assert items == []


async def test_history_is_newest_first_and_paginates(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    for n in range(7):
        await api.post("/save-history", json=history_body(prompt=f"p{n}"), headers=user.headers)

    legacy = (await api.get(f"/get-history/{user.username}", headers=user.headers)).json()
    assert [item["prompt"] for item in legacy] == [f"p{n}" for n in reversed(range(7))]

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/history", params=params, headers=user.headers)).json()
        seen += [item["prompt"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"p{n}" for n in reversed(range(7))]


async def test_bad_pagination_parameters_are_400s(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    for params in ({"limit": 0}, {"limit": 1000}, {"cursor": "!!!"}, {"limit": "ten"}):
        response = await api.get("/history", params=params, headers=user.headers)
        assert response.status_code == 400, params
        assert response.json()["error"]


async def test_single_entry_get_and_delete_are_owner_only(api: httpx.AsyncClient) -> None:
    alice = await signed_in_user(api)
    bob = await signed_in_user(api)
    await api.post("/save-history", json=history_body(), headers=alice.headers)
    [entry] = (await api.get("/history", headers=alice.headers)).json()["items"]

    mine = await api.get(f"/history/{entry['id']}", headers=alice.headers)
    assert mine.status_code == 200
    assert mine.json() == entry

    for method in ("GET", "DELETE"):
        response = await api.request(method, f"/history/{entry['id']}", headers=bob.headers)
        assert response.status_code == 404
        assert response.json() == {"error": "History entry not found"}

    deleted = await api.delete(f"/history/{entry['id']}", headers=alice.headers)
    assert deleted.status_code == 200
    gone = await api.get(f"/history/{entry['id']}", headers=alice.headers)
    assert gone.status_code == 404


async def test_history_pages_revalidate_and_change_with_every_write(
    api: httpx.AsyncClient,
) -> None:
    user = await signed_in_user(api)
    url = f"/get-history/{user.username}"
    await api.post("/save-history", json=history_body(prompt="one"), headers=user.headers)

    first = await api.get(url, headers=user.headers)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    unchanged = await api.get(url, headers={**user.headers, "If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    await api.post("/save-history", json=history_body(prompt="two"), headers=user.headers)
    after_save = await api.get(url, headers={**user.headers, "If-None-Match": etag})
    assert after_save.status_code == 200
    assert [item["prompt"] for item in after_save.json()] == ["two", "one"]

    page = (await api.get("/history", headers=user.headers)).json()
    await api.delete(f"/history/{page['items'][0]['id']}", headers=user.headers)
    after_delete = await api.get(url, headers=user.headers)
    assert [item["prompt"] for item in after_delete.json()] == ["one"]
    assert after_delete.headers["etag"] not in (etag, after_save.headers["etag"])
    listing = (await api.get("/history", headers=user.headers)).json()
    assert [item["prompt"] for item in listing["items"]] == ["one"]


async def test_one_users_write_does_not_serve_stale_pages_to_another(
    api: httpx.AsyncClient,
) -> None:
    alice = await signed_in_user(api)
    bob = await signed_in_user(api)
    await api.get(f"/get-history/{bob.username}", headers=bob.headers)
    await api.post("/save-history", json=history_body(prompt="bob's"), headers=bob.headers)
    assert (await api.get(f"/get-history/{alice.username}", headers=alice.headers)).json() == []
    bobs = (await api.get(f"/get-history/{bob.username}", headers=bob.headers)).json()
    assert [item["prompt"] for item in bobs] == ["bob's"]
