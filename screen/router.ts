import { createRouter, createWebHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: (to) => ({ path: '/wall', query: to.query }) },
    { path: '/wall/:id?', component: () => import('./views/Wall.vue') },
    { path: '/tablet/:id?', component: () => import('./views/Tablet.vue') },
    { path: '/embed', component: () => import('./views/Embed.vue') },
    { path: '/editor/:id?', component: () => import('./views/Editor.vue') },
    { path: '/snapshot/:id/:widget', component: () => import('./views/Snapshot.vue') },
    { path: '/alerts', component: () => import('./views/AlertRules.vue') },
    { path: '/sources', component: () => import('./views/SourcesPage.vue') },
    { path: '/:pathMatch(.*)*', redirect: (to) => ({ path: '/wall', query: to.query }) },
  ],
})
