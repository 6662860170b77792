/** The bearer token lives in localStorage so a reload keeps the user signed in. */
const tokenKey = "siyu.token";

export function getToken(): string | null {
  return localStorage.getItem(tokenKey);
}

export function setToken(token: string): void {
  localStorage.setItem(tokenKey, token);
}

export function clearToken(): void {
  localStorage.removeItem(tokenKey);
}
