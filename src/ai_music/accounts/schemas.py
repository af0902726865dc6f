from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


def _none_as_empty(value: object) -> object:
    return "" if value is None else value


class SignupRequest(BaseModel):
    """The original's field names, camelCase ``fullName`` included."""

    model_config = ConfigDict(populate_by_name=True)

    full_name: str = Field(default="", alias="fullName", max_length=200)
    username: str = Field(default="", max_length=64)
    email: str = Field(default="", max_length=254)
    password: str = Field(default="", max_length=1024)

    _empty = field_validator("full_name", "username", "email", "password", mode="before")(
        _none_as_empty
    )


class SigninRequest(BaseModel):
    username: str = Field(default="", max_length=64)
    password: str = Field(default="", max_length=1024)

    _empty = field_validator("username", "password", mode="before")(_none_as_empty)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class AccountDeletion(BaseModel):
    """``DELETE /me``'s body: the current password, so that a stolen token alone cannot."""

    password: str = Field(
        max_length=1024, validation_alias=AliasChoices("password", "current_password")
    )


class UserPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    full_name: str = Field(alias="fullName")
    username: str
    email: str


class Message(BaseModel):
    message: str


class SigninResponse(BaseModel):
    message: str
    user: UserPublic
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
