/** Path every HTTP API route is served under (same port as the screen and Socket.IO). */
export const API_PREFIX = '/api/v1'
