import { createRouter, createWebHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: '/wall' },
    { path: '/wall', component: () => import('./views/Wall.vue') },
    { path: '/:pathMatch(.*)*', redirect: '/wall' },
  ],
})
