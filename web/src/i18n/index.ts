import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import i18next from "i18next";
import { initReactI18next } from "react-i18next";
import { enUS } from "./en-US.ts";
import { zhCN } from "./zh-CN.ts";

export type Lang = "zh-CN" | "en-US";

const storageKey = "siyu.lang";

/** zh-CN unless the user chose English before (SPEC: "Chinese first"). */
export function storedLang(): Lang {
  return localStorage.getItem(storageKey) === "en-US" ? "en-US" : "zh-CN";
}

function applyLang(lang: Lang): void {
  document.documentElement.lang = lang;
  dayjs.locale(lang === "zh-CN" ? "zh-cn" : "en");
}

export async function initI18n(): Promise<void> {
  const lang = storedLang();
  applyLang(lang);
  await i18next.use(initReactI18next).init({
    resources: { "zh-CN": { translation: zhCN }, "en-US": { translation: enUS } },
    lng: lang,
    fallbackLng: "zh-CN",
    interpolation: { escapeValue: false },
  });
}

export async function setLang(lang: Lang): Promise<void> {
  localStorage.setItem(storageKey, lang);
  applyLang(lang);
  await i18next.changeLanguage(lang);
}
