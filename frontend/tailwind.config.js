/** Tailwind scans the templates (Django's and the Jinja2 ones) and the few Python files that build class names. */
module.exports = {
  content: ["../auroramart/**/templates/**/*.html", "../auroramart/jinja2/**/*.html", "../auroramart/**/*.py"],
  theme: {
    extend: {},
  },
  plugins: [require("daisyui")],
  daisyui: {
    themes: [
      {
        aurora: {
          primary: "#3b3fb6",
          "primary-content": "#ffffff",
          secondary: "#0f766e",
          "secondary-content": "#ffffff",
          accent: "#b45309",
          "accent-content": "#ffffff",
          neutral: "#1f2937",
          "neutral-content": "#f9fafb",
          "base-100": "#ffffff",
          "base-200": "#f3f4f6",
          "base-300": "#e5e7eb",
          "base-content": "#111827",
          info: "#1d4ed8",
          success: "#15803d",
          warning: "#a16207",
          error: "#b91c1c",
          "error-content": "#ffffff",
          "success-content": "#ffffff",
        },
      },
    ],
    logs: false,
  },
};
