// Starts Swagger UI on /api/docs against the app's own OpenAPI document. "Try it out" calls
// run in this page, so they carry the browser's session cookie like the app's own requests.
window.addEventListener("DOMContentLoaded", () => {
  window.SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No badge from validator.swagger.io: this page makes no request to another origin.
    validatorUrl: null,
    tryItOutEnabled: false,
    withCredentials: true,
  });
});
