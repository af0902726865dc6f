from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Response

from ai_music.accounts import service
from ai_music.accounts.dependencies import AccountsDep, CurrentUserDep
from ai_music.accounts.schemas import (
    AccountDeletion,
    Message,
    PasswordChange,
    SigninRequest,
    SigninResponse,
    SignupRequest,
    UserPublic,
)
from ai_music.core.dependencies import SessionDep
from ai_music.limits.dependencies import ClientIPDep, LimitsDep, PasswordGuessesDep
from ai_music.limits.quota import apply_rate_limit_headers
from ai_music.limits.schemas import LimitsPublic, limits_public
from ai_music.web.openapi import error_responses, throttled_responses

router = APIRouter(tags=["accounts"])


async def count_signup_attempt(limits: LimitsDep, client_ip: ClientIPDep) -> None:
    """Every sign-up counts against the address's budget, refused ones too: a dependency runs
    before the body is validated, so an invalid body counts as well."""
    await limits.throttle.signup_attempt(client_ip)


@router.post(
    "/signup",
    status_code=201,
    response_model=Message,
    responses=throttled_responses(),
    dependencies=[Depends(count_signup_attempt)],
)
async def signup(body: SignupRequest, session: SessionDep, accounts: AccountsDep) -> Message:
    await service.sign_up(session=session, hashing=accounts.hashing, data=body)
    return Message(message="Signup successful")


@router.post("/signin", response_model=SigninResponse, responses=error_responses(401, 429))
async def signin(
    body: SigninRequest,
    session: SessionDep,
    accounts: AccountsDep,
    guesses: PasswordGuessesDep,
) -> SigninResponse:
    await guesses.count(body.username)
    signed_in = await service.sign_in(
        session=session,
        hashing=accounts.hashing,
        tokens=accounts.tokens,
        username=body.username,
        password=body.password,
    )
    user = signed_in.user
    return SigninResponse(
        message="Signin successful",
        user=UserPublic(
            id=user.id, full_name=user.full_name, username=user.username, email=user.email
        ),
        token=signed_in.token,
        expires_in=signed_in.expires_in,
    )


@router.post("/signout", response_model=Message)
async def signout(current: CurrentUserDep, session: SessionDep) -> Message:
    await service.sign_out(session=session, current=current)
    return Message(message="Signed out")


@router.get("/me", response_model=UserPublic)
async def me(current: CurrentUserDep) -> UserPublic:
    return UserPublic(
        id=current.id, full_name=current.full_name, username=current.username, email=current.email
    )


@router.get("/me/limits", response_model=LimitsPublic, summary="Where the caller stands")
async def my_limits(current: CurrentUserDep, limits: LimitsDep, response: Response) -> LimitsPublic:
    status = await limits.quota.status(current.id)
    apply_rate_limit_headers(response, status.headers)
    return limits_public(status)


@router.post("/me/password", response_model=Message, responses=throttled_responses())
async def change_password(
    body: PasswordChange,
    current: CurrentUserDep,
    session: SessionDep,
    accounts: AccountsDep,
    guesses: PasswordGuessesDep,
) -> Message:
    """Sets a new password; every other signed-in session of the account is signed out."""
    await guesses.count(current.username)
    await service.change_password(
        session=session,
        hashing=accounts.hashing,
        current=current,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Message(message="Password changed")


@router.delete("/me", response_model=Message, responses=throttled_responses())
async def delete_me(
    body: AccountDeletion,
    current: CurrentUserDep,
    session: SessionDep,
    accounts: AccountsDep,
    guesses: PasswordGuessesDep,
    tasks: BackgroundTasks,
) -> Message:
    """Deletes the account, its history and audio; the current password must be sent."""
    await guesses.count(current.username)
    await service.delete_account(
        session=session, hashing=accounts.hashing, current=current, password=body.password
    )
    # Background tasks run after the transaction has committed: audio is never removed for an
    # account that still exists. The whole user prefix goes, so also a running job's upload.
    tasks.add_task(accounts.storage.delete_user, current.id)
    tasks.add_task(accounts.forget_account, current.id)
    return Message(message="Account deleted")
