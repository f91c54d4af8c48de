"""Users (admin): list, create, deactivate, reset a password, unlock delayed sign-ins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.deps import AdminUser, SessionDep
from api.pagination import Paging, paginate
from api.params import IdPath
from api.schemas.base import Page
from api.schemas.users import PasswordReset, UserCreate, UserRead
from api.transaction import TransactionRoute
from data.access.login_attempts import unlock_sign_in
from data.access.user_admin import deactivate_user, get_user, reset_password, users_query
from data.access.users import create_user

__all__ = ["router"]

router = APIRouter(route_class=TransactionRoute, prefix="/users", tags=["users"])


@router.get("", response_model=Page[UserRead])
def list_users(_admin: AdminUser, session: SessionDep, page: Paging) -> dict[str, Any]:
    """Every user."""
    return paginate(session, users_query(), page, UserRead.model_validate)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UserRead)
def add_user(body: UserCreate, admin: AdminUser, session: SessionDep) -> UserRead:
    """Create a user with a role and scope (password stored as Argon2id). The admin chose the
    password, so the user must set their own first (``POST /auth/password``)."""
    user = create_user(
        session,
        username=body.username,
        full_name=body.full_name,
        password=body.password,
        role=body.role,
        municipality_code=body.municipality_code,
        care_home_id=body.care_home_id,
        actor=admin.username,
        must_change_password=True,
    )
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead)
def read_user(user_id: IdPath, _admin: AdminUser, session: SessionDep) -> UserRead:
    """One user."""
    return UserRead.model_validate(get_user(session, user_id=user_id))


@router.post("/{user_id}/deactivate", response_model=UserRead)
def deactivate(user_id: IdPath, admin: AdminUser, session: SessionDep) -> UserRead:
    """Deactivate a user; their sessions and tokens stop working at once."""
    user = deactivate_user(session, user_id=user_id, actor=admin.username)
    return UserRead.model_validate(user)


@router.post("/{user_id}/unlock", response_model=UserRead)
def unlock(user_id: IdPath, admin: AdminUser, session: SessionDep) -> UserRead:
    """Let a user whose sign-ins are being delayed (failed passwords) try again at once, from
    every address."""
    user = get_user(session, user_id=user_id)
    unlock_sign_in(session, username=user.username, actor=admin.username)
    return UserRead.model_validate(user)


@router.post("/{user_id}/password", response_model=UserRead)
def set_password(
    user_id: IdPath, body: PasswordReset, admin: AdminUser, session: SessionDep
) -> UserRead:
    """Reset a user's password; their sessions and tokens are revoked."""
    user = reset_password(session, user_id=user_id, password=body.password, actor=admin.username)
    return UserRead.model_validate(user)
