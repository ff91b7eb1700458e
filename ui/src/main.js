// Entry point: mounts the dashboard into #app.
import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { applyTheme } from "./lib/theme.js";

applyTheme();
mount(App, { target: document.getElementById("app") });
