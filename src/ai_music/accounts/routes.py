from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends

from ai_music.accounts import service
from ai_music.accounts.schemas import (
    AccountDeletion,
    Message,
    PasswordChange,
    SigninRequest,
    SigninResponse,
    SignupRequest,
    UserPublic,
)
from ai_music.deps import ClientIPDep, ContextDep, CurrentUserDep, SessionDep
from ai_music.limits.components import limits_of
from ai_music.web.openapi import error_responses, throttled_responses

router = APIRouter(tags=["accounts"])


async def count_signup_attempt(context: ContextDep, client_ip: ClientIPDep) -> None:
    """Every sign-up counts against the address's budget, refused ones too: a dependency runs
    before the body is validated, so an invalid body counts as well."""
    await limits_of(context).throttle.signup_attempt(client_ip)


@router.post(
    "/signup",
    status_code=201,
    response_model=Message,
    responses=throttled_responses(),
    dependencies=[Depends(count_signup_attempt)],
)
async def signup(body: SignupRequest, session: SessionDep, context: ContextDep) -> Message:
    await service.sign_up(session=session, hashing=context.hashing, data=body)
    return Message(message="Signup successful")


@router.post("/signin", response_model=SigninResponse, responses=error_responses(401, 429))
async def signin(
    body: SigninRequest, session: SessionDep, context: ContextDep, client_ip: ClientIPDep
) -> SigninResponse:
    await limits_of(context).throttle.signin_attempt(client_ip, body.username)
    signed_in = await service.sign_in(
        session=session,
        hashing=context.hashing,
        tokens=context.tokens,
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


@router.post("/me/password", response_model=Message, responses=throttled_responses())
async def change_password(
    body: PasswordChange,
    current: CurrentUserDep,
    session: SessionDep,
    context: ContextDep,
    client_ip: ClientIPDep,
) -> Message:
    """Sets a new password; every other signed-in session of the account is signed out."""
    # The current password is a password guess like any other: it shares sign-in's budget.
    await limits_of(context).throttle.signin_attempt(client_ip, current.username)
    await service.change_password(
        session=session,
        hashing=context.hashing,
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
    context: ContextDep,
    client_ip: ClientIPDep,
    tasks: BackgroundTasks,
) -> Message:
    """Deletes the account, its history and audio; the current password must be sent."""
    await limits_of(context).throttle.signin_attempt(client_ip, current.username)
    await service.delete_account(
        session=session, hashing=context.hashing, current=current, password=body.password
    )
    # Background tasks run after the transaction has committed: audio is never removed for an
    # account that still exists. The whole user prefix goes, so also a running job's upload.
    tasks.add_task(context.storage.delete_user, current.id)
    tasks.add_task(context.forget_account, current.id)
    return Message(message="Account deleted")
